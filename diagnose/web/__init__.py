"""One blueprint per audience; views stay thin and call the modules of the data flow."""
