# %% [markdown]
# ## P0. The notebook runs from top to bottom (1 point)
#
# Restart the kernel and run every cell before you hand in. This point needs every piece defined and running,
# and `hw4_results.json` holding every model's result after 50 epochs, from the same runs as your two weight files
# (its baseline and conditional GAN results are those of the generators you hand in).

# %% kind="tests" grade_id="p0_tests"
from dgmlab.probes import check
check("p0_tests", Generator, Discriminator, discriminator_loss, generator_loss, discriminator_step,
      generator_step, make_gan, train_gan, ConditionalGenerator, ConditionalDiscriminator,
      cgan_discriminator_step, cgan_generator_step, V_point, D_star, second_derivative, D_star_pi, C_point,
      virtual_criterion, js_divergence, ot_primal, ot_dual)

# %% [markdown]
# ## Closing note
#
# The GAN losses are two cross-entropies; which loss the generator uses and how strong and frequent each player
# is decide whether training works. At the optimal discriminator the generator minimises a Jensen-Shannon
# divergence, which gives little signal when supports barely overlap: hence the transport view of P5 and WGANs.
