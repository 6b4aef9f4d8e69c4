namespace LetsChat.RoomService.Wire;

/// <summary>What a socket speaks, chosen at the upgrade by Sec-WebSocket-Protocol.</summary>
public enum ChatProtocolKind
{
    /// <summary>The Channels tutorial's {"message": ...} frames; the default.</summary>
    Seed,
    /// <summary>Typed frames (letschat.v1): identity, acks, history, resume, presence, typing.</summary>
    V1,
}

public static class ChatProtocols
{
    public const string V1Name = "letschat.v1";
}
