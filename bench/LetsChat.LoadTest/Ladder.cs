namespace LetsChat.LoadTest;

/// <summary>
/// Raises the rate step by step until a step loses, duplicates or reorders anything, has a p99
/// over the limit, or the generator cannot send what it offers. The best clean step is the answer.
/// </summary>
public static class Ladder
{
    public sealed record Result(IReadOnlyList<StepResult> Steps, StepResult? Best, string StoppedBecause);

    public static async Task<Result> RunAsync(LoadSettings first, double factor, int maxSteps, double p99LimitMs,
        TextWriter? progress, CancellationToken ct)
    {
        var steps = new List<StepResult>();
        StepResult? best = null;
        var settings = first;
        for (var i = 0; i < maxSteps; i++)
        {
            progress?.WriteLine($"step {i + 1}: {settings.Rate:G4} msg/s per sender, {settings.OfferedPerSecond:N0} sends/s, {settings.ExpectedDeliveriesPerSecond:N0} deliveries/s offered");
            var step = await LoadStep.RunAsync(settings, progress, ct);
            steps.Add(step);
            progress?.WriteLine(Report.Line(step));
            if (!step.Clean(p99LimitMs)) return new Result(steps, best, Why(step, p99LimitMs));
            best = step;
            // The generator could not send what it offered: past here it measures itself, not the server.
            if (step.SentPerSecond < 0.95 * step.OfferedPerSecond)
                return new Result(steps, best, $"the generator sent {step.SentPerSecond:N0}/s of {step.OfferedPerSecond:N0}/s offered (generator-bound, {step.GeneratorCores:P0} of a core)");
            settings = settings with { Rate = settings.Rate * factor };
        }
        return new Result(steps, best, $"reached --max-steps {maxSteps}");
    }

    private static string Why(StepResult step, double p99LimitMs) =>
        step.ConnectionsFailed > 0 ? $"{step.ConnectionsFailed} connections failed ({step.FirstConnectError})" :
        step.ConnectionsClosedEarly > 0 ? $"{step.ConnectionsClosedEarly} sockets closed early ({step.FirstCloseReason})" :
        step.Lost > 0 ? $"{step.Lost} deliveries lost" :
        step.Duplicated > 0 ? $"{step.Duplicated} deliveries duplicated" :
        step.OutOfOrder > 0 ? $"{step.OutOfOrder} deliveries out of order" :
        step.Refused > 0 ? $"{step.Refused} sends refused" :
        step.Received == 0 ? "nothing was delivered" :
        $"p99 {step.P99 / 1000.0:N1} ms > {p99LimitMs} ms";
}
