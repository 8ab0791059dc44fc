"""The `rasa` command with training-only imports deferred (components/lazy_imports.py).

`python -m components.rasa_main run --model ...` takes the same arguments as `rasa run`;
the scripts start the Rasa server this way so that it does not load TensorFlow it never uses.
"""
from components import lazy_imports


def main() -> None:
    lazy_imports.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
