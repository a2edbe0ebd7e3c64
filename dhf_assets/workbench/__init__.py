"""The review workbench: a local web app in which experts decide candidates by keyboard (`dhf review serve`)."""
