import os

# GUI tests run without a screen unless the person running them says otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
