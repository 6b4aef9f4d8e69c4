using LetsChat.RoomService;
using NetArchTest.Rules;

namespace LetsChat.Tests;

/// <summary>
/// The room service's layers depend one way, bottom to top (docs/architecture.md, "Layers"):
/// a type may use its own layer and those below it, never one above. Read from the compiled IL
/// (NetArchTest), so a fully qualified name or a <c>var</c> cannot hide a reference.
/// </summary>
public class LayerTests
{
    private const string Root = "LetsChat.RoomService";

    /// <summary>Bottom first. Telemetry and the root (options, the replica's id) are below every layer.</summary>
    public static readonly string[][] Layers =
    [
        ["Wire"],                   // frames, names, text rules: what clients send and see
        ["Rooms"],                  // Room, Member, RoomEvent, the feed, and the ports Redis implements
        ["Redis"],                  // broker, history, presence, keys, records, scripts, topology
        ["Identity", "Security"],   // sessions, caps and budgets (kept in Redis)
        ["Sockets", "Api"],         // the chat socket and the HTTP API: where requests come in
    ];

    public static TheoryData<string> Namespaces() => [.. Layers.SelectMany(l => l), "Telemetry"];

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void ALayerUsesNoLayerAboveIt(string layer)
    {
        // Telemetry is below every layer; the wire format below everything, telemetry included.
        var above = layer switch
        {
            "Telemetry" => Layers.SelectMany(l => l),
            "Wire" => Layers.SelectMany(l => l).Where(n => n != "Wire").Append("Telemetry"),
            _ => Layers.SkipWhile(l => !l.Contains(layer)).Skip(1).SelectMany(l => l),
        };
        var result = Types.InAssembly(typeof(RoomServiceOptions).Assembly)
            .That().ResideInNamespaceMatching($@"^{Root}\.{layer}(\.|$)")
            .ShouldNot().HaveDependencyOnAny([.. above.Select(n => $"{Root}.{n}")])
            .GetResult();
        Assert.True(result.IsSuccessful,
            $"{layer} uses a layer above it: {string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? [])}");
    }

    [Fact]
    public void EveryTypeOfTheServiceIsInALayer()
    {
        var known = Layers.SelectMany(l => l).Append("Telemetry").Select(n => $"{Root}.{n}").Append(Root).Append("Microsoft.AspNetCore.Builder").ToHashSet();
        var loose = typeof(RoomServiceOptions).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && !known.Contains(ns) && !ns.StartsWith("System", StringComparison.Ordinal) && !t.Name.StartsWith('<'))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(loose.Count == 0, $"types outside every layer: {string.Join(", ", loose)}");
    }

    [Fact]
    public void TheRuleCatchesAReverseReference()
    {
        // Sockets use Rooms (a Member holds its outbox): the rule, turned around, must see it.
        var result = Types.InAssembly(typeof(RoomServiceOptions).Assembly)
            .That().ResideInNamespaceMatching($@"^{Root}\.Sockets$")
            .ShouldNot().HaveDependencyOnAny($"{Root}.Rooms")
            .GetResult();
        Assert.False(result.IsSuccessful);
    }
}
