"""Checkers for the exercises.

Each ``check_*`` runs a student's function on cases chosen to catch the classic mistakes,
raises ``AssertionError`` with a message that names the mistake when it is one of those the
checker knows (and otherwise says what is wrong), and prints one plain line when everything
passes. A function that is not written yet, raises, or runs longer than ``TIME_LIMIT`` seconds
gets a message that says so instead of a traceback from inside the checker (the time limit
needs Unix and the main thread; elsewhere a call runs without one).
"""

from ._common import TIME_LIMIT
from .networks import check_dense_backward, check_sigmoid, check_softmax
from .ngrams import check_add_k_prob, check_bigram_mle, check_perplexity
from .rnn_math import check_rnn_param_count, check_rnn_step
from .sequence_loss import check_clip_by_global_norm, check_masked_cross_entropy

__all__ = ["TIME_LIMIT", "check_add_k_prob", "check_bigram_mle", "check_clip_by_global_norm",
           "check_dense_backward", "check_masked_cross_entropy",
           "check_perplexity", "check_rnn_param_count", "check_rnn_step", "check_sigmoid",
           "check_softmax"]

# The practice assignment (comedy or tragedy?).
from .classification import (check_build_vocab, check_classifier_forward, check_dense_forward,
                             check_evaluate, check_max_length, check_mean_pool,
                             check_pad_truncate, check_relu, check_train_epoch)

__all__ += ["check_build_vocab", "check_classifier_forward", "check_dense_forward",
            "check_evaluate", "check_max_length", "check_mean_pool", "check_pad_truncate",
            "check_relu", "check_train_epoch"]

# The chapters on recurrent networks and on scan.
from .recurrent import check_bracket_counter, check_ema, check_rnn_forward_loop, check_scan

__all__ += ["check_bracket_counter", "check_ema", "check_rnn_forward_loop", "check_scan"]

# The chapter on applications of RNNs and the lab on hidden-state activations.
from .hidden_state import (check_concatenate_weights, check_last_real_state, check_rnn_step_concat,
                           check_run_sequence, check_saturation, check_temperature_softmax)

__all__ += ["check_concatenate_weights", "check_last_real_state", "check_rnn_step_concat",
            "check_run_sequence", "check_saturation", "check_temperature_softmax"]

# The chapter and lab on perplexity.
from .perplexity_lab import (check_log_perplexity, check_masked_perplexity, check_model_perplexity,
                             check_rescale_perplexity)

__all__ += ["check_log_perplexity", "check_masked_perplexity", "check_model_perplexity",
            "check_rescale_perplexity"]

# The lab on vanilla RNNs, GRUs and scan, and the chapter on deep and bidirectional RNNs.
from .gated import (check_bidirectional_gru, check_gru_param_count, check_gru_step,
                    check_reverse_padded, check_run_with_scan, check_stack_param_count)

__all__ += ["check_bidirectional_gru", "check_gru_param_count", "check_gru_step",
            "check_reverse_padded", "check_run_with_scan", "check_stack_param_count"]

# The chapter on gated recurrent units.
from .gru_memory import check_memory_gru, check_update_gate_conversion

__all__ += ["check_memory_gru", "check_update_gate_conversion"]

# The chapter on training language models.
from .language_models import check_lm_param_count, check_overtaking_point

__all__ += ["check_lm_param_count", "check_overtaking_point"]
