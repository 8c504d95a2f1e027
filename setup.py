"""The one build step pyproject.toml cannot say: a wheel carries the front-end libraries its
pages need. They come from npm (tools/web-assets/install.sh copies their browser builds into
webapp/static/vendor/, which git ignores), fetched here at build time when a clone has not run
`make setup`; nothing third-party is committed. Without npm the wheel is built without them
and the concept page shows its lists only."""
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
WEB_ASSETS = HERE / "tools" / "web-assets" / "install.sh"


class BuildWithWebAssets(build_py):
    def run(self):
        if WEB_ASSETS.is_file():  # a source checkout (an sdist carries what it was built with)
            subprocess.run(["bash", str(WEB_ASSETS), "--if-missing"], check=True)
        super().run()


setup(cmdclass={"build_py": BuildWithWebAssets})
