namespace FraudStream.Testing;

public static class RepositoryPaths
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

    /// <summary>A path inside the checkout, e.g. <c>Of("data", "model")</c>.</summary>
    public static string Of(params string[] parts) => Path.Combine([Root(), .. parts]);
}
