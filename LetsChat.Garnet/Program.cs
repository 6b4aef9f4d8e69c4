using System.Runtime.InteropServices;
using Garnet;

// The embedded Redis: a Garnet server for machines with neither Docker nor redis-server.
// Every argument is Garnet's own (the AppHost passes --port, --bind, memory limits and --lua).
using var stopped = new ManualResetEventSlim();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopped.Set();
});
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stopped.Set();
});

using var server = new GarnetServer(args);
server.Start();
Console.WriteLine($"Garnet listening ({string.Join(' ', args)})");
stopped.Wait();
Console.WriteLine("Garnet stopping");
