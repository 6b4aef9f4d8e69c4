using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Drops Redis command spans that have no parent: the ones background work makes (feed checks,
/// presence heartbeats, key-ring refreshes), which would otherwise each be a root trace named
/// "EVAL" and bury what users did in the dashboard's trace list. A Redis call made while handling
/// a user's action has that action's span as parent and is kept. Background failures stay visible
/// as logs and metrics, which is where an SRE looks for them.
/// </summary>
public sealed class BackgroundRedisSampler(Sampler inner) : Sampler
{
    private static readonly SamplingResult s_drop = new(SamplingDecision.Drop);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && IsRedisCommand(samplingParameters)
            ? s_drop
            : inner.ShouldSample(samplingParameters);

    // The Redis instrumentation starts its client spans with db.system=redis among the creation tags.
    private static bool IsRedisCommand(in SamplingParameters parameters)
    {
        if (parameters.Kind != ActivityKind.Client || parameters.Tags is null)
        {
            return false;
        }
        foreach (var tag in parameters.Tags)
        {
            if (tag.Key == "db.system" && tag.Value is "redis")
            {
                return true;
            }
        }
        return false;
    }
}
