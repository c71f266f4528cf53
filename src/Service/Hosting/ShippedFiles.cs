namespace FraudStream.Service.Hosting;

/// <summary>
/// The model package and rules that ship with FraudStream (<c>data/</c> in the repository and the image), found
/// from the working directory or the executable: the defaults of <c>serve</c>, <c>demo</c>, <c>rules backtest</c>
/// and <c>bench scoring</c>.
/// </summary>
public static class ShippedFiles
{
    /// <summary>data/model when it holds a model.json, else null.</summary>
    public static string? ModelDirectory => Find("data/model", "model.json");

    /// <summary>data/rules/default.rules when present, else null.</summary>
    public static string? RulesFile => Find("data/rules/default.rules", null);

    private static string? Find(string relative, string? mustContain)
    {
        foreach (var root in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            var dir = new DirectoryInfo(root);
            for (var i = 0; i < 6 && dir is not null; i++, dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (mustContain is null ? File.Exists(candidate) : File.Exists(Path.Combine(candidate, mustContain)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
