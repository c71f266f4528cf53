using System.Globalization;
using System.Text;

namespace FraudStream.Pipeline.State;

/// <summary>
/// Partition → next offset, as stored beside a checkpoint: <c>partition:offset</c> pairs in partition order, joined
/// with commas (readable in the store; <c>-2</c> is Kafka's "from the beginning").
/// </summary>
public static class PartitionOffsets
{
    public static string Format(IReadOnlyDictionary<int, long> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var partitions = new List<int>(offsets.Keys);
        partitions.Sort();
        var text = new StringBuilder();
        foreach (var partition in partitions)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(CultureInfo.InvariantCulture, $"{partition}:{offsets[partition]}");
        }

        return text.ToString();
    }

    /// <summary>False when <paramref name="text"/> is not a list of pairs (a damaged row: the checkpoint is not used).</summary>
    public static bool TryParse(string text, out Dictionary<int, long> offsets)
    {
        ArgumentNullException.ThrowIfNull(text);
        offsets = [];
        if (text.Length == 0)
        {
            return true;
        }

        foreach (var pair in text.Split(','))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !int.TryParse(pair.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset)
                || offset < -2
                || !offsets.TryAdd(partition, offset))
            {
                offsets = [];
                return false;
            }
        }

        return true;
    }
}
