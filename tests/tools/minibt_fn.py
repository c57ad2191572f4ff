# tests/tools/minibt_fn.py: a python function the usdt cases trace
# (function__return gives its name, this file and the line it returns on)
def minibt_fn(x):
    return x


sorted([3, 1, 2], key=minibt_fn)
