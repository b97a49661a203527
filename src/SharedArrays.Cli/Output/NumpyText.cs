using System.Text;

namespace SharedArrays.Cli.Output;

/// <summary>Prints a float64 array the way numpy summarises a large one: three items at each end of each axis.</summary>
internal static class NumpyText
{
    private const int Edge = 3;

    /// <summary>A 1-D or 2-D array as numpy prints it, e.g. <c>[[42. 42. 42. ... 42. 42. 42.] ... ]</c>.</summary>
    internal static string Summary(SharedArray<double> array)
    {
        if (array.Rank == 1)
        {
            return "[" + Row(Indices(array.Shape[0]).Select(i => i is { } j ? Formatting.NumpyFloat(array[j]) : null).ToList(), width: 0) + "]";
        }
        if (array.Rank != 2)
        {
            return $"(a {array.Rank}-D array)";
        }
        long[] rows = Indices(array.Shape[0]).OfType<long>().ToArray();
        List<long?> columns = Indices(array.Shape[1]);
        var cells = rows.Select(r => columns.Select(c => c is { } j ? Formatting.NumpyFloat(array[r, j]) : null).ToList()).ToList();
        int width = cells.SelectMany(r => r).Max(c => c?.Length ?? 0);
        var text = new StringBuilder("[");
        for (int i = 0; i < rows.Length; i++)
        {
            if (i > 0)
            {
                text.Append('\n').Append(' ');
                if (array.Shape[0] > 2 * Edge && i == Edge)
                {
                    text.Append("...\n ");
                }
            }
            text.Append('[').Append(Row(cells[i], width)).Append(']');
        }
        return text.Append(']').ToString();
    }

    /// <summary>The first and last three indices of an axis, with null for the gap when there is one.</summary>
    private static List<long?> Indices(long length)
    {
        if (length <= 2 * Edge)
        {
            return Enumerable.Range(0, (int)length).Select(i => (long?)i).ToList();
        }
        var indices = new List<long?>();
        for (long i = 0; i < Edge; i++)
        {
            indices.Add(i);
        }
        indices.Add(null);
        for (long i = length - Edge; i < length; i++)
        {
            indices.Add(i);
        }
        return indices;
    }

    private static string Row(List<string?> cells, int width) =>
        string.Join(' ', cells.Select(c => c is null ? "..." : c.PadLeft(width)));
}
