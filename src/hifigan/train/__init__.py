"""Training (data preparation, losses, the trainer loop). Nothing on the inference path imports it."""
