"""Just enough RESP2 to drive redis-server or Garnet from the bench scripts, with no client library."""
import contextlib
import socket
import subprocess
import time


class Resp:
    """One connection: call() sends a command and reads its reply; send()/read() pipeline."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port))
        self.file = self.sock.makefile("rb")

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.sock.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def pipeline(self, commands, depth=32):
        """Sends every command with up to depth replies outstanding (as a busy client does); each reply is read."""
        inflight = 0
        for command in commands:
            self.send(*command)
            inflight += 1
            if inflight == depth:
                self.read()
                inflight -= 1
        for _ in range(inflight):
            self.read()

    def read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.file.read(n + 2)[:-2]
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        return rest


@contextlib.contextmanager
def scratch_redis():
    """A memory-only redis-server on a free 127.0.0.1 port, for one benchmark; yields a connection to it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                r = Resp(port)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"redis-server did not start on port {port}")
        yield r
    finally:
        server.terminate()
        server.wait()
