"""Crisis language and risk: the lexicon detector and the learned risk model."""
