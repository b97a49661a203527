using System.Globalization;
using System.Numerics;
using SharedArrays;

// A small executable the tests start, kill and inspect. One command per run:
//   fill HANDLE VALUE        open the array or view by handle, set every element, exit 0
//   sum HANDLE               print the sum of the view (invariant culture)
//   attach NAME              open by name, print its handle, exit normally (must not remove the name)
//   create NAME MODE         create an owned (non-persistent) float64 array [1000], print "ready",
//                            then per MODE: "exit" returns normally, "throw" dies of an unhandled
//                            exception, "wait" blocks on stdin until closed or a signal arrives
//   hold NAME                open by name, print "ready", block on stdin
//   create-big NAME N        create an owned float64 array [N] filled with 7.0 (long enough to be
//                            signalled while it reserves and fills), print "ready", block on stdin
//   churn NAME N             N times: create NAME filled with 7.0, dispose (removing it)
//   ps-touch HANDLE|NAME     open read-only by handle (or by name), read every element so that all
//                            its pages are resident here, print "ready", block on stdin
//   torture-...              see TortureModes.cs
//   pool-host N              start a WorkerPool of N workers (this program), print their PIDs, block on stdin
//   (as a pool's worker)     serve PoolModes.Functions
// Exit codes: 0 ok, 2 a SharedArrayException (its type name printed on stderr), 3 usage.
if (SharedArrays.Workers.WorkerHost.IsWorkerProcess)
{
    return SharedArrays.Workers.WorkerHost.Run(PoolModes.Functions);
}
try
{
    switch (args)
    {
        case ["fill", var handle, var value]:
            using (SharedArray array = SharedArray.Open(SharedArrayHandle.Parse(handle)))
            {
                Fill(array, double.Parse(value, CultureInfo.InvariantCulture));
            }
            return 0;
        case ["sum", var handle]:
            using (SharedArray array = SharedArray.Open(SharedArrayHandle.Parse(handle), new SharedArrayOpenOptions { ReadOnly = true }))
            {
                Console.WriteLine(ArrayStatistics.Compute(array).Sum.ToString("R", CultureInfo.InvariantCulture));
            }
            return 0;
        case ["attach", var name]:
            using (SharedArray array = SharedArray.Open(name))
            {
                Console.WriteLine(array.Handle);
            }
            return 0;
        case ["create", var name, var mode]:
            {
                var array = SharedArray<double>.Full(name, [1000], 7.0);
                Console.WriteLine("ready");
                Console.Out.Flush();
                switch (mode)
                {
                    case "exit":
                        return 0; // not disposed: the exit hook must remove the name
                    case "throw":
                        throw new InvalidOperationException("test child dies of an unhandled exception");
                    default:
                        Console.In.ReadToEnd();
                        GC.KeepAlive(array);
                        return 0;
                }
            }
        case ["create-big", var name, var count]:
            using (var array = SharedArray<double>.Full(name, [long.Parse(count, CultureInfo.InvariantCulture)], 7.0))
            {
                Console.WriteLine("ready");
                Console.Out.Flush();
                Console.In.ReadToEnd();
            }
            return 0;
        case ["churn", var name, var count]:
            for (int i = 0; i < int.Parse(count, CultureInfo.InvariantCulture); i++)
            {
                using var array = SharedArray<double>.Full(name, [1000], 7.0);
            }
            return 0;
        case ["hold", var name]:
            using (SharedArray array = SharedArray.Open(name))
            {
                Console.WriteLine("ready");
                Console.Out.Flush();
                Console.In.ReadToEnd();
            }
            return 0;
        case ["ps-touch", var target]:
            using (SharedArray array = SharedArrayHandle.TryParse(target, out SharedArrayHandle? handle)
                       ? SharedArray.Open(handle, new SharedArrayOpenOptions { ReadOnly = true })
                       : SharedArray.Open(target, new SharedArrayOpenOptions { ReadOnly = true }))
            {
                _ = ArrayStatistics.Compute(array); // reads every element, faulting in every page of the data
                Console.WriteLine("ready");
                Console.Out.Flush();
                Console.In.ReadToEnd();
            }
            return 0;
        case ["pool-host", var workers]:
            return PoolModes.Host(int.Parse(workers, CultureInfo.InvariantCulture));
        default:
            if ((TortureModes.TryRun(args) ?? SyncModes.TryRun(args)) is int code)
            {
                return code;
            }
            Console.Error.WriteLine("usage: see the comment at the top of Program.cs and TortureModes.cs");
            return 3;
    }
}
catch (SharedArrayException e)
{
    Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
    return 2;
}

static void Fill(SharedArray array, double value)
{
    switch (array.DType)
    {
        case DType.Bool: using (var a = array.As<bool>()) { a.Fill(value != 0); } break;
        case DType.Int8: FillNumber<sbyte>(array, value); break;
        case DType.UInt8: FillNumber<byte>(array, value); break;
        case DType.Int16: FillNumber<short>(array, value); break;
        case DType.UInt16: FillNumber<ushort>(array, value); break;
        case DType.Int32: FillNumber<int>(array, value); break;
        case DType.UInt32: FillNumber<uint>(array, value); break;
        case DType.Int64: FillNumber<long>(array, value); break;
        case DType.UInt64: FillNumber<ulong>(array, value); break;
        case DType.Float16: FillNumber<Half>(array, value); break;
        case DType.Float32: FillNumber<float>(array, value); break;
        case DType.Float64: FillNumber<double>(array, value); break;
        case DType.Complex64: using (var a = array.As<Complex64>()) { a.Fill(new Complex64((float)value, 0)); } break;
        case DType.Complex128: FillNumber<Complex>(array, value); break;
    }
}

static void FillNumber<T>(SharedArray array, double value) where T : unmanaged, INumberBase<T>
{
    using SharedArray<T> typed = array.As<T>();
    typed.Fill(T.CreateTruncating(value));
}
