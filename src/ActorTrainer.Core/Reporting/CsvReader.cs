using System.Text;

namespace ActorTrainer.Core.Reporting;

/// <summary>Reads what <see cref="CsvWriter"/> writes (RFC 4180: quoted fields may hold commas, quotes and newlines).</summary>
public static class CsvReader
{
    /// <summary>All rows of the file, the header first. FormatException on an unterminated quoted field.</summary>
    public static List<string[]> ReadAll(string path) => Parse(File.ReadAllText(path, Encoding.UTF8));

    public static List<string[]> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; any = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    row.Add(field.ToString()); field.Clear();
                    rows.Add(row.ToArray()); row.Clear(); any = false;
                    break;
                default: field.Append(c); any = true; break;
            }
        }
        if (quoted) throw new FormatException("CSV text ends inside a quoted field");
        if (any || field.Length > 0) { row.Add(field.ToString()); rows.Add(row.ToArray()); }
        return rows;
    }
}
