#!/usr/bin/env python3
"""Do one file operation and print its errno (0 on success). Uses only os.

usage: fsop.py OP PATH [DATA]
  write PATH DATA    open(O_WRONLY|O_TRUNC), one write() of DATA + "\n" (as echo does)
  writen PATH DATA   the same without the added newline
  writebig PATH N    one write() of N bytes: "A=" followed by 'x' and a newline
  read PATH          open(O_RDONLY) and read to end-of-file
  create PATH        open(O_WRONLY|O_CREAT|O_EXCL, 0644)
  mkdir PATH         mkdir(0755)
  rmdir PATH
  unlink PATH
  truncate PATH      truncate(0)
A successful write() that does not return the full count prints "short N".
"""
import os
import sys


def main():
    op, path = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    try:
        if op in ("write", "writen", "writebig"):
            if op == "write":
                data = (arg + "\n").encode()
            elif op == "writen":
                data = arg.encode()
            else:
                n = int(arg)
                data = b"A=" + b"x" * (n - 3) + b"\n"
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                n = os.write(fd, data)
            finally:
                os.close(fd)
            if n != len(data):
                print("short %d" % n)
                return
        elif op == "read":
            fd = os.open(path, os.O_RDONLY)
            try:
                while os.read(fd, 65536):
                    pass
            finally:
                os.close(fd)
        elif op == "create":
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        elif op == "mkdir":
            os.mkdir(path, 0o755)
        elif op == "rmdir":
            os.rmdir(path)
        elif op == "unlink":
            os.unlink(path)
        elif op == "truncate":
            os.truncate(path, 0)
        else:
            print("bad op %s" % op)
            sys.exit(2)
    except OSError as e:
        print(e.errno)
        return
    print(0)


main()
