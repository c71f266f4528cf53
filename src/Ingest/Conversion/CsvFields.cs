using System.Text;

namespace FraudStream.Ingest.Conversion;

/// <summary>
/// Splits one CSV line into fields: <paramref name="delimiter"/> between fields, a field may be enclosed in
/// <paramref name="quote"/> (then it may hold the delimiter, and a doubled quote stands for one), spaces around a
/// field are dropped. A quoted field does not continue on the next line.
/// </summary>
internal static class CsvFields
{
    public static bool TrySplit(string line, char delimiter, char quote, List<string> fields, StringBuilder scratch, out string problem)
    {
        fields.Clear();
        var i = 0;
        while (true)
        {
            while (i < line.Length && line[i] is ' ' or '\t' && line[i] != delimiter)
            {
                i++;
            }

            if (i < line.Length && line[i] == quote)
            {
                scratch.Clear();
                i++;
                var closed = false;
                while (i < line.Length)
                {
                    if (line[i] != quote)
                    {
                        scratch.Append(line[i++]);
                    }
                    else if (i + 1 < line.Length && line[i + 1] == quote)
                    {
                        scratch.Append(quote);
                        i += 2;
                    }
                    else
                    {
                        closed = true;
                        i++;
                        break;
                    }
                }

                if (!closed)
                {
                    problem = $"field {fields.Count + 1}: the quote is not closed on this line";
                    return false;
                }

                while (i < line.Length && line[i] is ' ' or '\t' && line[i] != delimiter)
                {
                    i++;
                }

                if (i < line.Length && line[i] != delimiter)
                {
                    problem = $"field {fields.Count + 1}: text after the closing quote";
                    return false;
                }

                fields.Add(scratch.ToString());
            }
            else
            {
                var end = line.IndexOf(delimiter, i);
                var stop = end < 0 ? line.Length : end;
                fields.Add(line[i..stop].Trim());
                i = stop;
            }

            if (i >= line.Length)
            {
                problem = "";
                return true;
            }

            i++; // the delimiter
        }
    }
}
