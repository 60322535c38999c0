"""Client side: the client library (client/), the `overseer` command line (cli/), agent
and pipeline file loading (files/) and the embedded dev server launcher (server).

The command line drives Temporal only through the client library.
"""
