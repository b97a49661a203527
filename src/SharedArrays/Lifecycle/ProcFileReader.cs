using Microsoft.Win32.SafeHandles;

namespace SharedArrays.Lifecycle;

/// <summary>
/// Reads <c>/proc</c> files line by line into one reusable buffer: a scan reads the maps of every
/// process on the machine, so it must not allocate a string (or an array) per line or per file.
/// A line is valid until the next call.
/// </summary>
internal sealed class ProcFileReader : IDisposable
{
    private byte[] _buffer = new byte[64 * 1024];
    private SafeFileHandle? _file;
    private long _offset;
    private int _start;   // first byte of the next line
    private int _scanned; // bytes before this are known to hold no newline after _start
    private int _end;     // end of the bytes read
    private bool _eof;

    /// <summary>Starts reading <paramref name="path"/>, closing the previous file.</summary>
    /// <exception cref="IOException">It does not exist (the process has exited).</exception>
    /// <exception cref="UnauthorizedAccessException">Another user's process, and we are not root.</exception>
    internal void Open(string path)
    {
        _file?.Dispose();
        _file = null;
        _offset = 0;
        _start = _scanned = _end = 0;
        _eof = false;
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    }

    /// <summary>The next line without its '\n'; false at the end of the file.</summary>
    internal bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int lineEnd = _scanned + newline;
                line = _buffer.AsSpan(_start, lineEnd - _start);
                _start = _scanned = lineEnd + 1;
                return true;
            }
            _scanned = _end;
            if (_eof)
            {
                line = _buffer.AsSpan(_start, _end - _start);
                bool any = _start < _end;
                _start = _end;
                return any;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }
        else if (_end == _buffer.Length)
        {
            // One line longer than the buffer: a mapped path is at most PATH_MAX, so this is rare.
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        // procfs generates these files as they are read (seq_file); sequential reads continue where
        // the last one stopped, so the offset only has to follow along.
        int read = RandomAccess.Read(_file!, _buffer.AsSpan(_end), _offset);
        if (read == 0)
        {
            _eof = true;
        }
        else
        {
            _end += read;
            _offset += read;
        }
    }

    public void Dispose() => _file?.Dispose();
}
