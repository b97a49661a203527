using System.Runtime.Versioning;

// The library supports Linux in this version; its tests use Linux tools (mkfifo, mount, kill).
[assembly: SupportedOSPlatform("linux")]
