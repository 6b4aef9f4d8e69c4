using System.Globalization;
using System.Diagnostics;

namespace LetsChat.LoadTest;

/// <summary>CPU time and resident memory of a process at one instant, read from /proc.</summary>
public readonly record struct ProcessSample(int Pid, string Name, TimeSpan Cpu, long RssKiB)
{
    private static readonly double TicksPerSecond = ClockTicks();

    public static ProcessSample Self()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return new ProcessSample(self.Id, "loadtest", self.TotalProcessorTime, self.WorkingSet64 / 1024);
    }

    /// <summary>Reads /proc/{pid}; null when the process is gone or /proc is not there.</summary>
    public static ProcessSample? Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The name is in parentheses and may hold spaces; the fields after it are fixed.
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var name = NameOf(pid, stat[(open + 1)..close]);
            var fields = stat[(close + 2)..].Split(' ');
            // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 once pid and name are cut off.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = long.Parse(rss["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return new ProcessSample(pid, name, TimeSpan.FromSeconds(ticks / TicksPerSecond), kib);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>"dotnet" says little: name a .NET process after the assembly it runs.</summary>
    private static string NameOf(int pid, string comm)
    {
        if (comm != "dotnet") return comm;
        var dll = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal));
        return dll is null ? comm : Path.GetFileNameWithoutExtension(dll);
    }

    // USER_HZ is 100 on every Linux this runs on; getconf says so when it is there.
    private static double ClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true });
            var text = getconf!.StandardOutput.ReadToEnd();
            getconf.WaitForExit();
            return double.TryParse(text, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}
