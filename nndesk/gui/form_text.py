"""The form's words: each field's caption and tooltip (presentation only; whether a value
is allowed is decided by ``engine.validate``)."""

# How each hyperparameter is shown: caption, one-sentence tooltip, and the editor kind.
# These are presentation only; whether a value is allowed is decided by engine.validate().
PARAMS = {
    "learning_rate": ("Learning rate", "How big a step the optimizer takes after each batch: too "
                      "high and the loss jumps or becomes NaN, too low and learning crawls.", "sci"),
    "weight_decay": ("Weight decay", "Pulls weights toward zero each step to reduce overfitting; "
                     "0 turns it off (AdamW decouples it from the gradient).", "sci"),
    "momentum": ("Momentum", "The fraction of the previous step carried into the next one; 0.9 is "
                 "the usual choice.", "fraction"),
    "rho": ("Rho", "How slowly RMSprop's running average of squared gradients forgets; 0.9 is "
            "typical.", "fraction"),
    "beta1": ("Beta 1", "How slowly Adam's running average of gradients forgets; 0.9 is typical.",
              "fraction"),
    "beta2": ("Beta 2", "How slowly Adam's running average of squared gradients forgets; 0.999 is "
              "typical.", "fraction"),
    "epsilon": ("Epsilon", "A tiny number added to the denominator so the step never divides by "
                "zero.", "sci"),
    "step_epochs": ("Step every (epochs)", "Multiply the learning rate by gamma after this many "
                    "epochs.", "int"),
    "gamma": ("Gamma", "The factor the learning rate is multiplied by at each step (0.1 divides it "
              "by ten).", "fraction"),
    "min_lr": ("Final learning rate", "The rate the cosine schedule ends at, reached on the last "
               "batch.", "sci"),
}

TOOLTIPS = {
    "dataset": "The data to train on: the bundled MNIST digits, the XOR toy set, or a folder of "
               "IDX files or a CSV file of your own.",
    "loss": "What training minimises. Cross-entropy suits classification with a softmax output; "
            "squared error suits regression-like targets.",
    "optimizer": "How the weights move along the gradient after each batch.",
    "schedule": "How the learning rate changes during the run.",
    "initializer": "How weights are drawn before training, for layers that do not choose their own.",
    "batch_size": "Samples per weight update. Smaller batches update more often but noisier; "
                  "0 uses the whole training set as one batch.",
    "epochs": "How many times training goes through the whole training set.",
    "validation_split": "The fraction of the training data held out to check the network on data "
                        "it does not learn from (0 for none).",
    "early_stopping_patience": "Stop when the validation loss has not improved for this many "
                               "epochs, keeping the best weights; 0 never stops early.",
    "seed": "Starting point of every random choice (initial weights, shuffling, dropout): the "
            "same seed gives the same run.",
    "augment": "Distort each training batch at random (small shifts, rotations, scaling and "
               "thicker or thinner strokes) so the network learns shapes rather than exact "
               "pixels. Image datasets only.",
    "engine": "Fast trains with the speed techniques of nndesk/engine/fast; Reference takes the "
              "textbook steps of nndesk/engine, the formulas and nothing else. Both give the "
              "same training; Reference is slower.",
}

# Each layer type's name as the form shows it.
LAYER_TITLES = {"dense": "Dense", "conv2d": "Conv 2D", "maxpool2d": "Max pool",
                "avgpool2d": "Avg pool", "flatten": "Flatten", "batchnorm": "Batch norm",
                "dropout": "Dropout"}

# Each layer setting: caption and tooltip.
LAYER_SETTINGS = {
    "units": ("Units", "Number of neurons in this layer (its output size)."),
    "filters": ("Filters", "How many kernels slide over the image; each one gives an output "
                "channel."),
    "kernel_size": ("Kernel size", "The window each filter looks at: one number for a square "
                    "(5 is 5 x 5) or two for height and width, such as 3 x 5."),
    "stride": ("Stride", "How many pixels the window moves at each step; 2 halves the height "
               "and width. A pool's default moves it by its whole size."),
    "padding": ("Padding", "Zeros added around the image: 'valid' adds none (the image "
                "shrinks), 'same' keeps its height and width (stride 1, odd kernel), or type "
                "a number of pixels."),
    "pool_size": ("Pool size", "The side of each square window: 2 keeps one value of every "
                  "2 x 2 block, halving the height and width."),
    "momentum": ("Momentum", "How fast the mean and variance used after training follow each "
                 "batch's: 0.1 moves them a tenth of the way at every step."),
    "epsilon": ("Epsilon", "A tiny number added to the variance so normalizing never divides "
                "by zero."),
    "rate": ("Dropout rate", "The fraction of this layer's inputs set to zero at random while "
             "training (0 keeps all; must be below 1)."),
    "activation": ("Activation", "The function applied to each of the layer's outputs."),
    "initializer": ("Initializer", "How this layer's weights are drawn; 'default' uses the "
                    "initializer set under Training."),
}

BUILTIN_DATASETS = ("mnist", "xor")
ADVANCED = ("beta1", "beta2", "epsilon", "rho")
