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

// The password comes from the environment, so it is never on a command line or in a log.
var password = Environment.GetEnvironmentVariable("LETSCHAT_REDIS_PASSWORD");
string[] options = string.IsNullOrEmpty(password) ? args : [.. args, "--auth", "Password", "--password", password];

using var server = new GarnetServer(options);
server.Start();
Console.WriteLine($"Garnet listening ({string.Join(' ', args)}{(string.IsNullOrEmpty(password) ? ", no password" : ", password required")})");
stopped.Wait();
Console.WriteLine("Garnet stopping");
