#!/usr/bin/python3
"""gen.py: random well-typed BEGIN-only bpftrace programs for the differential test.

    tests/difftest/gen.py [--seed S] [--count N] [--out DIR] [--include-known-bugs]

Each program is one BEGIN probe ending in exit(): integer arithmetic over
mixed widths and signs, casts, comparisons, ternaries, logic and bit
operations, printf with widths, flags and lengths, strings, maps with every
aggregation (printed at exit), print() of values, tuple keys.  Only constructs
bpftrace 0.17 accepts and computes the way minibt documents are generated:
no division by zero or of a negative value (0.17 divides unsigned), shift
counts 0..63, no "%%" after the last conversion, hist() values below 2^32.
Program i of seed S is the same whatever N is.  With --out each program is
written to DIR/NNNN.bt, else all are printed separated by lines "# --- N".
--include-known-bugs also generates the constructs minibt gets wrong today
(see KNOWN below and tests/difftest/README.md).
"""
import argparse
import os
import random

INT_TYPES = [(8, True), (16, True), (32, True), (64, True),
             (8, False), (16, False), (32, False), (64, False)]
INT64 = (64, True)
STR = "str"
LENGTHS = ["", "", "", "l", "ll", "h", "hh", "j", "z", "t"]
WORDS = ["a", "ab", "abc", "hello", "x y", "minibt", "bpftrace", "", "Z9", "tab\\tx"]

# constructs minibt gets wrong today; generated only with --include-known-bugs
KNOWN = {
    "ukey": "an integer map key >= 2^63: 0.17 prints every integer key as int64",
    "ashr": "'>>' of a negative signed value: 0.17 shifts logically (zero fill)",
    "narrowunop": "unary - and ~ of a value narrower than 64 bits (a cast, a variable): "
                  "0.17 computes in that width and zero-extends",
    "negmax": "max() of only negative values: 0.17 prints a blank line for the entry",
    "minmax64": "min()/max() of a uint64 >= 2^63: 0.17 prints min signed, max as a blank line",
    "bigmin": "min() of a value >= 2^32 (0.17 stores 0xffffffff - v): 0.17 prints a blank line",
    "strcmpsign": "string == / != is uint64 in 0.17 (so ('a' != 'b') - 2 prints 2^64-1), int64 in minibt",
    "strvarkey": "a string variable used as a map key, then hist(), then printf of the "
                 "variable: 0.17 prints it empty (a 0.17 bug)",
}


def blen(w):
    return len(w.replace("\\t", "\t"))


def tname(t):
    return ("int" if t[1] else "uint") + str(t[0])


class Gen:
    def __init__(self, rng, known):
        self.r = rng
        self.known = known
        self.ivars = []     # (name, type)
        self.svars = []
        self.maps = {}      # name -> (keyspec, kind)
        self.nvar = 0
        self.lines = []

    # -- integer expressions: return (text, type) --------------------------
    def lit(self):
        r = self.r
        c = r.random()
        if c < 0.4:
            v = r.randint(0, 10)
        elif c < 0.6:
            v = r.randint(0, 1000)
        elif c < 0.75:
            v = r.choice([127, 128, 255, 256, 32767, 32768, 65535, 65536,
                          2147483647, 2147483648, 4294967295, 4294967296])
        elif c < 0.85:
            return "0x%x" % r.choice([0xff, 0xf0, 0xffff, 0x7f, 0x80, 0xdead, 0xffffffff]), INT64
        else:
            v = r.randint(0, 1 << 40)
        return str(v), INT64

    def iexpr(self, d):
        r = self.r
        if d <= 0 or r.random() < 0.2:
            if self.ivars and r.random() < 0.5:
                n, t = r.choice(self.ivars)
                return "$" + n, t
            return self.lit()
        c = r.random()
        if c < 0.15:
            t = r.choice(INT_TYPES)
            e, _ = self.iexpr(d - 1)
            return "(%s)(%s)" % (tname(t), e), t
        if c < 0.22:
            e, t = self.iexpr(d - 1)
            op = r.choice(["-", "~", "!"])
            if op == "!":
                return "!(%s)" % e, INT64
            if t[0] < 64 and not self.known:   # narrowunop
                return "%s((int64)(%s))" % (op, e), INT64
            return "%s(%s)" % (op, e), t
        if c < 0.55:
            a, ta = self.iexpr(d - 1)
            b, tb = self.iexpr(d - 1)
            op = r.choice(["+", "-", "*", "&", "|", "^"])
            return "(%s %s %s)" % (a, op, b), (64, ta[1] and tb[1])
        if c < 0.62:
            a, ta = self.iexpr(d - 1)
            op = r.choice(["<<", ">>"])
            if op == ">>" and not self.known:   # ashr
                a = "(uint64)(%s)" % a
            return "(%s %s %d)" % (a, op, r.randint(0, 63)), (64, ta[1])
        if c < 0.70:
            # nonnegative dividend, divisor 1..256: same result signed or unsigned
            a, _ = self.iexpr(d - 1)
            b, _ = self.iexpr(d - 1)
            op = r.choice(["/", "%"])
            return "((%s & 0xffffff) %s ((%s & 0xff) + 1))" % (a, op, b), INT64
        if c < 0.82:
            return self.cond(d - 1), INT64
        if c < 0.90:
            cnd = self.cond(d - 1)
            a, ta = self.iexpr(d - 1)
            b, tb = self.iexpr(d - 1)
            t = r.choice(INT_TYPES)
            return "(%s ? (%s)(%s) : (%s)(%s))" % (cnd, tname(t), a, tname(t), b), (64, t[1])
        n, t = self.ivars[-1] if self.ivars and r.random() < 0.5 else (None, None)
        if n:
            return "$" + n, t
        return self.lit()

    def cond(self, d):
        r = self.r
        c = r.random()
        if c < 0.5 or d <= 0:
            a, _ = self.iexpr(d)
            b, _ = self.iexpr(d)
            op = r.choice(["<", "<=", ">", ">=", "==", "!="])
            return "(%s %s %s)" % (a, op, b)
        if c < 0.7:
            op = r.choice(["&&", "||"])
            return "(%s %s %s)" % (self.cond(d - 1), op, self.cond(d - 1))
        if c < 0.8:
            return "!%s" % self.cond(d - 1)
        if c < 0.9 and (self.svars or r.random() < 0.5):
            e = "(%s %s %s)" % (self.sexpr(), r.choice(["==", "!="]), self.sexpr())
            return e if self.known else "(int64)" + e   # strcmpsign
        a, _ = self.iexpr(d)
        return "(%s)" % a

    def sexpr(self):
        r = self.r
        c = r.random()
        if self.svars and c < 0.4:
            return "$" + r.choice(self.svars)
        return '"%s"' % r.choice(WORDS)

    # -- statements ----------------------------------------------------------
    def newvar(self):
        self.nvar += 1
        return "v%d" % self.nvar

    def fmtlit(self):
        r = self.r
        return r.choice(["", "", " ", "x=", ": ", "[", "]", "\\t", "|", "a b", "%%"])

    def printf(self):
        r = self.r
        n = r.randint(1, 3)
        fmt, args, nstr = "", [], 0
        for _ in range(n):
            fmt += self.fmtlit()
            if nstr < 2 and r.random() < 0.2:
                nstr += 1
                w = r.choice(["", "", "5", "-5", "10", "-10", "1"])
                fmt += "%" + w + "s"
                args.append(self.sexpr())
                continue
            conv = r.choice("duxXoc" + "dddu")
            flag = r.choice(["", "", "", "-", "0"])
            width = r.choice(["", "", "", "1", "3", "5", "8", "12", "20"])
            if flag == "0" and not width:
                width = "5"
            if conv == "c":
                fmt += "%" + ("-" if flag == "-" else "") + width + "c"
                e, _ = self.iexpr(2)
                args.append("(((%s) & 63) + 48)" % e)
                continue
            prec = ""
            if r.random() < 0.1:
                prec = "." + str(r.randint(0, 6))
            fmt += "%" + flag + width + prec + r.choice(LENGTHS) + conv
            e, _ = self.iexpr(r.randint(0, 2))
            args.append(e)
        fmt += r.choice(["", "", ".", " end"]).replace("%", "") + "\\n"
        return 'printf("%s"%s);' % (fmt, "".join(", " + a for a in args))

    def keyspec(self):
        r = self.r
        c = r.random()
        if c < 0.25:
            return []
        if c < 0.55:
            return [r.choice(INT_TYPES)]
        if c < 0.7:
            return [STR]
        return [r.choice(INT_TYPES + [STR]) for _ in range(r.randint(2, 3))]

    def key(self, spec, strs):
        parts = []
        for n, t in enumerate(spec):
            if t == STR and not self.known:   # strvarkey
                parts.append('"%s"' % self.r.choice(WORDS))
            elif t == STR:
                parts.append(self.sexpr())
            elif t == INT64 and self.r.random() < 0.5:
                parts.append(str(self.r.randint(0, 5)))
            elif t == (64, False) and not self.known:
                e, _ = self.iexpr(1)
                parts.append("(uint64)((%s) & 0x7fffffffffffffff)" % e)  # ukey
            else:
                e, _ = self.iexpr(1)
                parts.append("(%s)(%s)" % (tname(t), e))
        return "[" + ", ".join(parts) + "]" if parts else ""

    def mapstmt(self):
        r = self.r
        if self.maps and r.random() < 0.5:
            name = r.choice(sorted(self.maps))
            spec, kind, vt, strs = self.maps[name]
        else:
            name = "@m%d" % len(self.maps)
            spec = self.keyspec()
            kind = r.choice(["int", "int", "str", "count", "sum", "min", "max", "avg",
                             "stats", "hist", "lhist"])
            vt = r.choice(INT_TYPES)
            if kind == "lhist":
                lo = r.choice([0, 0, 10, 100])
                span = r.choice([10, 100, 1000])
                vt = (lo, lo + span, r.choice([x for x in (1, 2, 5, 10, 100) if x <= span]))
            if kind == "max" and not self.known:   # negmax, minmax64
                vt = r.choice([t for t in INT_TYPES if not t[1] and t[0] < 64])
            if kind == "min" and not self.known:   # minmax64, bigmin
                vt = r.choice([(8, True), (16, True), (32, True), (8, False), (16, False)])
            strs = {}
            self.maps[name] = (spec, kind, vt, strs)
        k = self.key(spec, strs)
        e, _ = self.iexpr(r.randint(0, 3))
        if kind == "int":
            return "%s%s = (%s)(%s);" % (name, k, tname(vt), e)
        if kind == "str":
            return "%s%s = %s;" % (name, k, self.sexpr())
        if kind == "count":
            return "%s%s = count();" % (name, k)
        if kind == "hist":
            return "%s%s = hist((%s)(%s));" % (name, k, r.choice(["int32", "int16", "uint16", "uint32"]), e)
        if kind == "lhist":
            lo, hi, st = vt
            return "%s%s = lhist((int16)(%s), %d, %d, %d);" % (name, k, e, lo, hi, st)
        return "%s%s = %s((%s)(%s));" % (name, k, kind, tname(vt), e)

    def stmt(self, d):
        r = self.r
        c = r.random()
        if c < 0.22:
            name = self.newvar()
            e, t = self.iexpr(r.randint(1, 3))
            if r.random() < 0.5:
                t = r.choice(INT_TYPES)
                e = "(%s)(%s)" % (tname(t), e)
            self.lines.append("  " * d + "$%s = %s;" % (name, e))
            self.ivars.append((name, t))
            return
        if c < 0.3:
            name = self.newvar()
            self.lines.append("  " * d + "$%s = %s;" % (name, self.sexpr()))
            self.svars.append(name)
            return
        if c < 0.55:
            self.lines.append("  " * d + self.printf())
            return
        if c < 0.8:
            self.lines.append("  " * d + self.mapstmt())
            return
        if c < 0.87:
            if r.random() < 0.5 or not self.maps:
                e, _ = self.iexpr(r.randint(0, 3))
                self.lines.append("  " * d + "print(%s);" % e)
            else:
                self.lines.append("  " * d + "print(%s);" % r.choice(sorted(self.maps)))
            return
        if d < 2:
            self.lines.append("  " * d + "if (%s) {" % self.cond(1))
            saved = (list(self.ivars), list(self.svars))
            for _ in range(r.randint(1, 2)):
                self.stmt(d + 1)
            self.ivars, self.svars = list(saved[0]), list(saved[1])
            if r.random() < 0.4:
                self.lines.append("  " * d + "} else {")
                for _ in range(r.randint(1, 2)):
                    self.stmt(d + 1)
                self.ivars, self.svars = list(saved[0]), list(saved[1])
            self.lines.append("  " * d + "}")
            return
        self.lines.append("  " * d + self.printf())

    def program(self):
        self.lines = ["BEGIN {"]
        for _ in range(self.r.randint(2, 7)):
            self.stmt(1)
        self.lines.append("  exit();")
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def generate(seed, i, known=False):
    return Gen(random.Random("%d/%d" % (seed, i)), known).program()


def main():
    ap = argparse.ArgumentParser(description="random BEGIN-only bpftrace programs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--first", type=int, default=0, help="index of the first program")
    ap.add_argument("--out", help="write DIR/NNNN.bt")
    ap.add_argument("--include-known-bugs", action="store_true")
    a = ap.parse_args()
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    for i in range(a.first, a.first + a.count):
        p = generate(a.seed, i, a.include_known_bugs)
        if a.out:
            with open(os.path.join(a.out, "%04d.bt" % i), "w") as f:
                f.write(p)
        else:
            print("# --- %d" % i)
            print(p, end="")


if __name__ == "__main__":
    main()
