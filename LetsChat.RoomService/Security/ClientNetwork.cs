using System.Net;
using System.Net.Sockets;

namespace LetsChat.RoomService.Security;

/// <summary>
/// The network a client's address belongs to, as limits count it: an IPv4 address alone, an IPv6
/// address by its /64 (one subscriber is handed a whole /64, so counting exact IPv6 addresses
/// would give one person 2^64 budgets).
/// </summary>
public static class ClientNetwork
{
    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return "none";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
