namespace SharedArrays;

/// <summary>
/// A <see cref="SharedMutex"/> cannot be locked: an owner died while holding it, and the process that
/// inherited it released it without <see cref="SharedMutexScope.MarkConsistent"/>. The data it guards
/// is presumed damaged, so every later lock fails (POSIX's fail-closed rule for robust mutexes) until
/// someone repairs the data and calls <see cref="SharedMutex.Reset"/>.
/// </summary>
public sealed class MutexNotRecoverableException : SharedArrayException
{
    /// <summary>Creates the exception.</summary>
    public MutexNotRecoverableException(string message, string? name) : base(message, name) { }
}
