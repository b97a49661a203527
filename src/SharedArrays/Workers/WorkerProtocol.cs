using System.Buffers.Binary;
using System.Net.Sockets;

namespace SharedArrays.Workers;

/// <summary>
/// Frames between a pool and its workers over a Unix stream socket: a 4-byte little-endian length,
/// then a 1-byte message type and its body. One item is in flight per worker at a time.
/// </summary>
internal static class WorkerProtocol
{
    internal const string SocketVariable = "SHARR_WORKER_SOCKET";
    internal const string TokenVariable = "SHARR_WORKER_TOKEN";
    internal const string ParentVariable = "SHARR_WORKER_PARENT";
    internal const string NonceVariable = "SHARR_WORKER_NONCE";

    /// <summary>A hello is a token, a nonce and a PID: anything longer is not one of ours.</summary>
    internal const int MaxHelloBytes = 1024;

    /// <summary>A frame never needs more; a bigger length means a broken peer, not a big argument.</summary>
    internal const int MaxFrameBytes = 256 << 20;

    internal enum Message : byte
    {
        Hello = 1,       // worker -> pool: token, pid
        Initialize = 2,  // pool -> worker: initializer name, argument
        Initialized = 3, // worker -> pool
        Run = 4,         // pool -> worker: item id, function name, argument
        Result = 5,      // worker -> pool: item id, result
        Error = 6,       // worker -> pool: item id (-1 for the initializer), type, message, stack
        Cancel = 7,      // pool -> worker: item id
        Shutdown = 8,    // pool -> worker
    }

    /// <summary>
    /// The pool listens on an abstract Unix socket (no file to leak; gone with the process), written
    /// <c>@name</c> in the environment since a variable cannot hold the leading NUL.
    /// </summary>
    internal static UnixDomainSocketEndPoint EndPoint(string address) =>
        new(address.StartsWith('@') ? "\0" + address[1..] : address);

    internal static void WriteFrame(Socket socket, MemoryStream body)
    {
        int length = checked((int)body.Length);
        byte[] buffer = body.GetBuffer();
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, length);
        SendAll(socket, prefix);
        SendAll(socket, buffer.AsSpan(0, length));
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    /// <summary>
    /// The process at the other end of a Unix socket, from the kernel (<c>SO_PEERCRED</c>): it cannot be
    /// forged, unlike anything the peer says.
    /// </summary>
    internal static (int Pid, uint Uid) PeerCredentials(Socket socket)
    {
        const int SOL_SOCKET = 1, SO_PEERCRED = 17; // <asm-generic/socket.h>; struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        return socket.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, ucred) >= 8
            ? (System.Runtime.InteropServices.MemoryMarshal.Read<int>(ucred), System.Runtime.InteropServices.MemoryMarshal.Read<uint>(ucred[4..]))
            : (0, uint.MaxValue);
    }

    /// <summary>Reads one frame into <paramref name="buffer"/>; false at end of stream (the peer is gone).</summary>
    internal static bool TryReadFrame(Socket socket, ref byte[] buffer, out int length, int maxBytes = MaxFrameBytes)
    {
        Span<byte> prefix = stackalloc byte[4];
        length = 0;
        if (!ReceiveAll(socket, prefix))
        {
            return false;
        }
        length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length < 1 || length > maxBytes)
        {
            throw new InvalidDataException($"Broken worker protocol: a frame of {length} bytes.");
        }
        if (buffer.Length < length)
        {
            buffer = new byte[Math.Max(length, buffer.Length * 2)];
        }
        return ReceiveAll(socket, buffer.AsSpan(0, length));
    }

    private static bool ReceiveAll(Socket socket, Span<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n;
            try
            {
                n = socket.Receive(bytes);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
            {
                return false;
            }
            if (n == 0)
            {
                return false;
            }
            bytes = bytes[n..];
        }
        return true;
    }
}
