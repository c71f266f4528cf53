using Microsoft.Extensions.Options;

namespace FraudStream.Rules.Stage;

/// <summary>Settings of the rules stage, bound from the <c>Rules</c> section and checked by <see cref="RulesOptionsValidator"/>.</summary>
public sealed class RulesOptions
{
    public const string Section = "Rules";

    /// <summary>The <see cref="File"/> that runs without rules: the model's thresholds decide.</summary>
    public const string NoRules = "none";

    /// <summary>The rules file, loaded at start and watched, or <see cref="NoRules"/>.</summary>
    public string? File { get; set; }

    public bool ThresholdsOnly => string.Equals(File, NoRules, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The one check of <see cref="RulesOptions"/>, run when the service starts; the file's contents are checked by loading it.</summary>
public sealed class RulesOptionsValidator : IValidateOptions<RulesOptions>
{
    public ValidateOptionsResult Validate(string? name, RulesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.File))
        {
            return ValidateOptionsResult.Fail($"{RulesOptions.Section}:{nameof(RulesOptions.File)} (--rules) is not set: "
                + $"give a rules file, or {RulesOptions.NoRules} to let the model's thresholds decide");
        }

        if (!options.ThresholdsOnly && !System.IO.File.Exists(options.File))
        {
            return ValidateOptionsResult.Fail($"{RulesOptions.Section}:{nameof(RulesOptions.File)} (--rules): {options.File} does not exist");
        }

        return ValidateOptionsResult.Success;
    }
}
