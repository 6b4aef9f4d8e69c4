namespace LetsChat.RoomService;

/// <summary>
/// Names this process among the room service's replicas. Sent in the 101 response's
/// <see cref="HeaderName"/> header so clients, tests and SREs can tell which replica holds a socket.
/// </summary>
public sealed class ReplicaIdentity
{
    public const string HeaderName = "X-LetsChat-Replica";

    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
}
