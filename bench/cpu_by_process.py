#!/usr/bin/env python3
"""CPU of each LetsChat process (and Redis, DCP), sampled from /proc every 2 s, as % of one core.

How docs/operations.md's split of the 2,000-non-reader attack (orchestrator proxy ~55% of a core,
gateway ~50%, each replica ~35%) was found: run it beside the test, stop it with Ctrl+C.

    python3 bench/cpu_by_process.py > /tmp/cpu.log &
    dotnet test tests/LetsChat.IntegrationTests --filter "FullyQualifiedName~NonReaderTests"
"""
import os
import time

hz = os.sysconf('SC_CLK_TCK')
prev = {}
def name(pid):
    try:
        a = open(f'/proc/{pid}/cmdline','rb').read().split(b'\0')
    except Exception: return None
    s = b' '.join(a).decode(errors='ignore')
    for k in ('LetsChat.RoomService','LetsChat.Gateway','LetsChat.Frontend','testhost','redis-server','dcp','LetsChat.AppHost'):
        if k in s: return k
    return None
t0=time.time()
while True:
    now = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        n = name(p)
        if not n: continue
        try:
            f = open(f'/proc/{p}/stat').read().rsplit(')',1)[1].split()
            now[p] = (n, int(f[11]) + int(f[12]))
        except Exception: pass
    out = []
    for p,(n,c) in now.items():
        if p in prev:
            d = (c - prev[p][1]) / hz / 2 * 100
            if d >= 3: out.append(f'{n}:{p}={d:.0f}%')
    print(f'{time.time()-t0:6.1f} ' + ' '.join(sorted(out)), flush=True)
    prev = now
    time.sleep(2)
