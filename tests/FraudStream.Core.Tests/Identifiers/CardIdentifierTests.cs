using FraudStream.Core.Identifiers;

namespace FraudStream.Core.Tests.Identifiers;

public sealed class CardIdentifierTests
{
    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("5500 0000 0000 0004", true)]
    [InlineData("4111111111111112", false)]
    [InlineData("card-000123", false)]
    [InlineData("123456", false)]
    public void Only_luhn_valid_13_to_19_digit_numbers_look_like_pans(string value, bool expected) =>
        Assert.Equal(expected, CardIdentifier.LooksLikePan(value));

    [Fact]
    public void Masking_keeps_only_the_last_four_characters()
    {
        Assert.Equal("••••0123", CardIdentifier.Mask("card-000123"));
        Assert.Equal("", CardIdentifier.Mask(null));
    }

    [Fact]
    public void Ordinary_card_ids_are_left_alone() => Assert.Equal("card-1", CardIdentifier.Normalize("card-1"));
}
