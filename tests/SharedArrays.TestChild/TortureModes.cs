using System.Diagnostics;
using System.Globalization;
using SharedArrays;

/// <summary>
/// The test child's torture modes; they run in SHARR_DIR (a private directory the test sets) and report
/// one line per event on stdout, which the test parses. Every line is flushed at once: the process can
/// be killed with SIGKILL at any moment and what it printed must be true.
/// <list type="bullet">
/// <item><c>torture-create PREFIX SEED</c>: forever: create PREFIX-PID-I (float64, random length) filled
///   with I, print <c>C NAME</c>, hold it 0-10 ms, check the name still refers to it (else print
///   <c>LOST NAME</c>), dispose, print <c>D NAME</c>.</item>
/// <item><c>torture-attach SEED</c>: forever: pick a random listed segment, open it (print <c>NF NAME</c>
///   if it is gone), check every element equals the I in its name (else <c>TORN NAME</c>), write the
///   same values back, hold 0-10 ms, print <c>VANISHED NAME</c> if the name went while held, then
///   <c>H NAME</c>.</item>
/// <item><c>torture-race BARRIER PREFIX ROUNDS PROCS INDEX</c>: per round, wait at a barrier in the
///   shared int64 array BARRIER, then race to create PREFIX-R (int64 [1024] filled with R); losers open
///   it and check it is complete. Prints <c>W R</c> for a won round, <c>P R</c> for a partial segment
///   seen, and at the end <c>done CREATED EXISTED OPENED NOTFOUND</c>.</item>
/// </list>
/// </summary>
internal static class TortureModes
{
    internal static int? TryRun(string[] args) => args switch
    {
        ["torture-create", var prefix, var seed] => Create(prefix, new Random(int.Parse(seed, CultureInfo.InvariantCulture))),
        ["torture-attach", var seed] => Attach(new Random(int.Parse(seed, CultureInfo.InvariantCulture))),
        ["torture-race", var barrier, var prefix, var rounds, var procs, var index] =>
            Race(barrier, prefix, int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(procs, CultureInfo.InvariantCulture), int.Parse(index, CultureInfo.InvariantCulture)),
        _ => null,
    };

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static int Create(string prefix, Random random)
    {
        int pid = Environment.ProcessId;
        for (long i = 0; ; i++)
        {
            string name = $"{prefix}-{pid}-{i}";
            using (var array = SharedArray<double>.Full(name, [random.Next(1, 64 * 1024)], i))
            {
                Say("C " + name);
                Thread.Sleep(random.Next(0, 11));
                if (!File.Exists(array.Path))
                {
                    Say("LOST " + name);
                }
            }
            Say("D " + name);
        }
    }

    private static int Attach(Random random)
    {
        while (true)
        {
            IReadOnlyList<SegmentInfo> segments = SharedArray.List();
            if (segments.Count == 0)
            {
                Thread.Sleep(1);
                continue;
            }
            SegmentInfo pick = segments[random.Next(segments.Count)];
            double expected = double.Parse(pick.Name[(pick.Name.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
            SharedArray<double> array;
            try
            {
                array = SharedArray<double>.Open(pick.Name);
            }
            catch (SegmentNotFoundException)
            {
                Say("NF " + pick.Name); // its creator disposed it (or it was collected) since the listing
                continue;
            }
            using (array)
            {
                foreach (Span<double> chunk in array.GetChunks())
                {
                    foreach (ref double x in chunk)
                    {
                        if (x != expected)
                        {
                            Say("TORN " + pick.Name);
                            break;
                        }
                        x = expected; // a write through the mapping (the same value, so the check stays exact)
                    }
                }
                Thread.Sleep(random.Next(0, 11));
                // Held all along: only the creator may have removed the name meanwhile, never the collector.
                if (!File.Exists(array.Path))
                {
                    Say("VANISHED " + pick.Name);
                }
            }
            Say("H " + pick.Name);
        }
    }

    private static int Race(string barrierName, string prefix, int rounds, int procs, int index)
    {
        using var barrier = SharedArray<long>.Open(barrierName);
        var created = new List<SharedArray<long>>();
        int won = 0, existed = 0, opened = 0, notFound = 0;
        for (int r = 0; r < rounds; r++)
        {
            Arrive(barrier, r, procs);
            string name = $"{prefix}-{r}";
            if (index % 4 == 0)
            {
                // Some processes try to open first: they must see "not found" or a complete segment.
                try
                {
                    using var early = SharedArray<long>.Open(name);
                    Check(early, r);
                    opened++;
                }
                catch (SegmentNotFoundException)
                {
                    notFound++;
                }
            }
            try
            {
                created.Add(SharedArray<long>.Full(name, [1024], r));
                won++;
                Say("W " + r.ToString(CultureInfo.InvariantCulture));
            }
            catch (SegmentExistsException)
            {
                existed++;
                using var other = SharedArray<long>.Open(name);
                Check(other, r);
                opened++;
            }
        }
        Arrive(barrier, rounds, procs); // nobody disposes (removes) a name before everyone is done with it
        created.ForEach(static a => a.Dispose());
        Say(string.Create(CultureInfo.InvariantCulture, $"done {won} {existed} {opened} {notFound}"));
        return 0;
    }

    private static void Check(SharedArray<long> array, long round)
    {
        ReadOnlySpan<long> values = array.AsSpan();
        if (values.Length != 1024 || values.ContainsAnyExcept(round))
        {
            Say("P " + round.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Arrive(SharedArray<long> barrier, int slot, int procs)
    {
        Interlocked.Increment(ref barrier[slot]);
        var spin = new SpinWait();
        while (Volatile.Read(ref barrier[slot]) < procs)
        {
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
