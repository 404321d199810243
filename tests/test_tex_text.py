"""A heading's LaTeX as plain text (dgmlab.tex_text), for the reports printed in a notebook or a terminal."""
from dgmlab.tex_text import plain


def test_font_commands_keep_their_letter():
    assert plain(r"$\mathcal N$, $\mathbb{E}$ and $\text{KL}$") == "N, E and KL"


def test_greek_letters_and_symbols_become_their_characters():
    assert plain(r"at most $\sigma\sqrt d$ for $\epsilon \le 1$") == "at most σ√d for ε ≤ 1"


def test_digit_scripts_become_sub_and_superscripts():
    assert plain(r"the discrete $W_1$ and $x^2$") == "the discrete W₁ and x²"


def test_other_scripts_keep_their_mark():
    assert plain(r"$p_{\text{data}}$ and $e^{-t}$") == "p_data and e^-t"


def test_fractions_read_as_a_slash():
    assert plain(r"$\frac{a+b}{2}$ and $\tfrac12$") == "(a+b)/2 and 1/2"


def test_markdown_marks_are_dropped():
    assert plain("**Q2** the `kl` function") == "Q2 the kl function"


def test_text_without_math_is_left_as_it_is():
    assert plain("Q3. A Wasserstein GAN on MNIST (45 points)") == "Q3. A Wasserstein GAN on MNIST (45 points)"


def test_an_unknown_command_keeps_its_name():
    assert plain(r"$\weird x$") == "weird x"
