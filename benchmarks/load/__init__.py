"""Closed-loop load benchmark: the assistant against a stock ``rasa init`` bot.

``python -m benchmarks.load`` (``make benchmark-load``) starts the assistant and
a stock Rasa bot trained in the same run (cached under ``var/bench/``), drives
both with the same closed-loop visitors over the REST channel and prints
throughput, latency percentiles, errors, the memory of every process, the
ratio to the stock bot and ``/model/parse`` latency. Only 127.0.0.1 is sent
traffic, and every level is bounded in messages and seconds.
"""
