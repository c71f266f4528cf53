namespace FraudStream.Core.Interop;

/// <summary>
/// Finds a native library already mapped into this process (Linux: /proc/self/maps), so that P/Invoke binds to the
/// very file another component loaded instead of loading a second, independent copy.
/// </summary>
public static class MappedLibraries
{
    /// <summary>The path of the first mapped file whose name satisfies <paramref name="matches"/>; null if none (or no /proc).</summary>
    public static string? Find(Func<string, bool> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }

        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }

            var path = line[slash..].Trim();
            if (matches(Path.GetFileName(path)))
            {
                return path;
            }
        }

        return null;
    }
}
