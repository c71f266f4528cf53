namespace FraudStream.Storage;

public enum StoreProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Parses <c>sqlite:PATH</c> and <c>postgres:CONNECTION-STRING</c>.</summary>
public sealed record StoreLocation(StoreProvider Provider, string Target)
{
    public static bool TryParse(string? text, out StoreLocation? location, out string? error)
    {
        location = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a database is required: sqlite:PATH or postgres:CONNECTION-STRING";
            return false;
        }

        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["sqlite:".Length..];
            if (path.Length == 0)
            {
                error = "sqlite: needs a file path, e.g. sqlite:fraudstream.db";
                return false;
            }

            location = new(StoreProvider.Sqlite, path);
            error = null;
            return true;
        }

        foreach (var prefix in (string[])["postgres:", "postgresql:"])
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                var cs = text[prefix.Length..];
                if (cs.Length == 0)
                {
                    error = "postgres: needs a connection string, e.g. postgres:Host=localhost;Database=fraudstream;Username=fraud";
                    return false;
                }

                location = new(StoreProvider.Postgres, cs);
                error = null;
                return true;
            }
        }

        error = $"unknown database '{text}': use sqlite:PATH or postgres:CONNECTION-STRING";
        return false;
    }

    public override string ToString() => Provider == StoreProvider.Sqlite ? "sqlite:" + Target : "postgres:(connection string)";
}
