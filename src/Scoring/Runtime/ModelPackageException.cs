namespace FraudStream.Scoring.Runtime;

public enum ModelPackageProblem
{
    Missing,
    Corrupt,
    SchemaMismatch,
    Unsupported,
}

/// <summary>A model package that cannot be scored with, and why.</summary>
public sealed class ModelPackageException : Exception
{
    public ModelPackageException()
    {
    }

    public ModelPackageException(string message)
        : base(message)
    {
    }

    public ModelPackageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ModelPackageException(ModelPackageProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    public ModelPackageProblem Problem { get; }
}
