using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;

namespace FraudStream.Core.Tests.Identifiers;

public sealed class PanTokenizerTests
{
    private static readonly PanTokenizer Tokens = new("deployment-a-0123456789abcdef0123456789");

    [Fact]
    public void A_card_number_becomes_a_full_length_token_the_same_however_it_is_written()
    {
        var token = Tokens.Protect("4111111111111111");
        Assert.StartsWith(PanTokenizer.Prefix, token, StringComparison.Ordinal);
        Assert.Equal(PanTokenizer.TokenLength, token.Length);
        Assert.Equal(4 + 64, token.Length);
        Assert.Equal(token, Tokens.Protect("4111 1111 1111 1111"));
        Assert.Equal(token, Tokens.Protect("4111.1111.1111.1111"));
        Assert.Equal(token, Tokens.Protect("4111-1111-1111-1111"));
        Assert.NotEqual(token, Tokens.Protect("5500000000000004"));
    }

    [Fact]
    public void A_token_holds_no_digit_so_it_never_looks_like_a_number_again()
    {
        var token = Tokens.Protect("4111111111111111");
        Assert.DoesNotContain(token, char.IsAsciiDigit);
        Assert.Same(token, Tokens.Protect(token));
    }

    [Fact]
    public void Another_deployment_key_gives_other_tokens()
    {
        var other = new PanTokenizer("deployment-b-0123456789abcdef0123456789");
        Assert.NotEqual(Tokens.Protect("4111111111111111"), other.Protect("4111111111111111"));
        Assert.Throws<ArgumentException>(() => new PanTokenizer("short"));
        Assert.NotEqual(PanTokenizer.NewKey(), PanTokenizer.NewKey());
    }

    [Fact]
    public void Embedded_card_numbers_are_replaced_and_the_text_around_them_kept()
    {
        var protectedText = Tokens.Protect("Shop PAN 5500 0000 0000 0004 Berlin");
        Assert.StartsWith("Shop PAN pan_", protectedText, StringComparison.Ordinal);
        Assert.EndsWith(" Berlin", protectedText, StringComparison.Ordinal);
        Assert.Equal(Tokens.Protect("5500000000000004"), protectedText["Shop PAN ".Length..^" Berlin".Length]);
    }

    [Fact]
    public void Every_text_field_of_a_transaction_is_protected_and_ordinary_values_are_not_copied()
    {
        const string merchant = "m-9";
        var tx = new Transaction
        {
            Id = "tx-4111111111111111", Card = "4111.1111.1111.1111", Merchant = merchant, Category = "x 4222222222222",
            Device = "dev 5500-0000-0000-0004",
        };
        Tokens.Protect(tx);
        Assert.All(new[] { tx.Id, tx.Card, tx.Category, tx.Device! }, v => Assert.False(Pans.MayContain(v.AsSpan()), v));
        Assert.Equal(Tokens.Protect("4111111111111111"), tx.Card);
        Assert.Same(merchant, tx.Merchant);
    }
}
