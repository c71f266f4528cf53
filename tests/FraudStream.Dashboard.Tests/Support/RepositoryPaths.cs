namespace FraudStream.Dashboard.Tests.Support;

internal static class RepositoryPaths
{
    /// <summary>The checkout root: the first folder above the test binaries that holds FraudStream.slnx.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FraudStream.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (FraudStream.slnx) not found");
    }
}
