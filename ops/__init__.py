"""Production services that are not Rasa: the widget's web server, production set-up."""
