"""`make improve`: exported console annotations -> training data -> a candidate model, judged
on the held-out set (tests/nlu) before it may replace models/current.tar.gz."""
