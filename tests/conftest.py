import atexit
import os
import shutil
import tempfile

# GUI tests run without a screen unless the person running them says otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Nothing a test does may touch the person's own cache, data or settings: every run gets
# folders of its own (tests that need an empty one still make their own).
_private = tempfile.mkdtemp(prefix="nndesk-tests-")
atexit.register(shutil.rmtree, _private, ignore_errors=True)
os.environ["NNDESK_CACHE_DIR"] = os.path.join(_private, "cache")
os.environ["NNDESK_DATA_DIR"] = os.path.join(_private, "data")
os.environ["NNDESK_SETTINGS_FILE"] = os.path.join(_private, "settings.ini")
