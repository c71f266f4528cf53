using System.IO.Compression;
using System.Security.Cryptography;

namespace FraudStream.Scoring.Packaging;

/// <summary>
/// A package folder as one archive for the store's registry, and back: a zip of the folder's files (a package is flat,
/// as the watched folders' stamps assume), in name order with one fixed time, so one folder always gives the same bytes
/// and the same sha256 on every instance.
/// </summary>
public static class PackageArchives
{
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The archive of every file in <paramref name="packageDir"/> (not its subfolders).</summary>
    public static byte[] Create(string packageDir)
    {
        var files = Directory.GetFiles(packageDir);
        Array.Sort(files, StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var entry = zip.CreateEntry(Path.GetFileName(file), CompressionLevel.Optimal);
                entry.LastWriteTime = EntryTime;
                using var target = entry.Open();
                using var source = File.OpenRead(file);
                source.CopyTo(target);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>sha256 of the archive, hex in lower case.</summary>
    public static string Sha256Of(ReadOnlySpan<byte> archive) => Convert.ToHexStringLower(SHA256.HashData(archive));

    /// <summary>
    /// Writes the archive's files into <paramref name="directory"/> (created, emptied first). Refuses, with
    /// <see cref="InvalidDataException"/>, an archive that is not a zip or names anything but a plain file name (a path
    /// would write outside the folder).
    /// </summary>
    public static void Extract(byte[] archive, string directory)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        using var zip = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            var name = entry.FullName;
            if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or ".." || name.Contains('\\', StringComparison.Ordinal))
            {
                throw new InvalidDataException($"the archive holds '{name}', which is not a plain file name");
            }

            entry.ExtractToFile(Path.Combine(directory, name), overwrite: false);
        }
    }
}
