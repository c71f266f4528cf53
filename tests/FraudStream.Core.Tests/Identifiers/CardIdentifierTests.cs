using FraudStream.Core.Identifiers;

namespace FraudStream.Core.Tests.Identifiers;

public sealed class CardIdentifierTests
{
    [Fact]
    public void Masking_keeps_only_the_last_four_characters()
    {
        Assert.Equal("••••0123", CardIdentifier.Mask("card-000123"));
        Assert.Equal("", CardIdentifier.Mask(null));
    }
}
