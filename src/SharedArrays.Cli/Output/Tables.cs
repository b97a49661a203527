using Spectre.Console;
using Spectre.Console.Rendering;

namespace SharedArrays.Cli.Output;

/// <summary>Tables for stdout. Cells are plain <see cref="Text"/>, never markup: names may hold '['.</summary>
internal static class Tables
{
    internal static Table Create(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }
        return table;
    }

    internal static Table RightAlign(this Table table, params int[] columns)
    {
        foreach (int column in columns)
        {
            table.Columns[column].RightAligned();
        }
        return table;
    }

    internal static void AddTextRow(this Table table, params string[] cells) =>
        table.AddRow(cells.Select(static cell => (IRenderable)new Text(cell)).ToArray());

    /// <summary>Two columns, key and value, without borders: for one object's fields.</summary>
    internal static Grid KeyValues(IEnumerable<(string Key, string Value)> rows)
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap().PadRight(2));
        grid.AddColumn();
        foreach (var (key, value) in rows)
        {
            grid.AddRow(new Text(key), new Text(value));
        }
        return grid;
    }
}
