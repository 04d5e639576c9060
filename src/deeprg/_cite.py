"""BibTeX for the papers deeprg implements: ``deeprg.cite()``."""

_BIB = {
    "onsager1944": """@article{onsager1944,
  author = {Onsager, Lars}, title = {Crystal Statistics. I. A Two-Dimensional Model with an
  Order-Disorder Transition}, journal = {Phys. Rev.}, volume = {65}, pages = {117}, year = {1944}}""",
    "kaufman1949": """@article{kaufman1949,
  author = {Kaufman, Bruria}, title = {Crystal Statistics. II. Partition Function Evaluated by
  Spinor Analysis}, journal = {Phys. Rev.}, volume = {76}, pages = {1232}, year = {1949}}""",
    "ferdinand1969": """@article{ferdinand1969,
  author = {Ferdinand, Arthur E. and Fisher, Michael E.}, title = {Bounded and Inhomogeneous
  Ising Models. I. Specific-Heat Anomaly of a Finite Lattice}, journal = {Phys. Rev.},
  volume = {185}, pages = {832}, year = {1969}}""",
    "sokal1997": """@incollection{sokal1997,
  author = {Sokal, Alan}, title = {Monte Carlo Methods in Statistical Mechanics: Foundations and
  New Algorithms}, booktitle = {Functional Integration}, publisher = {Springer}, year = {1997}}""",
    "swendsen1979": """@article{swendsen1979,
  author = {Swendsen, Robert H.}, title = {Monte Carlo Renormalization Group},
  journal = {Phys. Rev. Lett.}, volume = {42}, pages = {859}, year = {1979}}""",
    "mehta2014": """@article{mehta2014,
  author = {Mehta, Pankaj and Schwab, David J.}, title = {An exact mapping between the
  Variational Renormalization Group and Deep Learning}, journal = {arXiv:1410.3831}, year = {2014}}""",
    "lin2017": """@article{lin2017,
  author = {Lin, Henry W. and Tegmark, Max and Rolnick, David}, title = {Why Does Deep and Cheap
  Learning Work So Well?}, journal = {J. Stat. Phys.}, volume = {168}, pages = {1223}, year = {2017}}""",
    "wolff1989": """@article{wolff1989,
  author = {Wolff, Ulli}, title = {Collective Monte Carlo Updating for Spin Systems},
  journal = {Phys. Rev. Lett.}, volume = {62}, pages = {361}, year = {1989}}""",
    "swendsen1987": """@article{swendsen1987,
  author = {Swendsen, Robert H. and Wang, Jian-Sheng}, title = {Nonuniversal critical dynamics in
  Monte Carlo simulations}, journal = {Phys. Rev. Lett.}, volume = {58}, pages = {86}, year = {1987}}""",
    "hopfield1982": """@article{hopfield1982,
  author = {Hopfield, John J.}, title = {Neural networks and physical systems with emergent
  collective computational abilities}, journal = {PNAS}, volume = {79}, pages = {2554}, year = {1982}}""",
    "amit1985": """@article{amit1985,
  author = {Amit, Daniel J. and Gutfreund, Hanoch and Sompolinsky, Haim}, title = {Storing
  Infinite Numbers of Patterns in a Spin-Glass Model of Neural Networks},
  journal = {Phys. Rev. Lett.}, volume = {55}, pages = {1530}, year = {1985}}""",
    "storkey1997": """@inproceedings{storkey1997,
  author = {Storkey, Amos}, title = {Increasing the capacity of a Hopfield network without
  sacrificing functionality}, booktitle = {ICANN 1997, LNCS 1327}, pages = {451}, year = {1997}}""",
    "barra2012": """@article{barra2012,
  author = {Barra, Adriano and Bernacchia, Alberto and Santucci, Enrica and Contucci, Pierluigi},
  title = {On the equivalence of Hopfield networks and Boltzmann machines},
  journal = {Neural Networks}, volume = {34}, pages = {1}, year = {2012}, note = {arXiv:1105.2790}}""",
    "martin2015": """@misc{martin2015,
  author = {Martin, Charles H.}, title = {Why Deep Learning Works II: the Renormalization Group},
  howpublished = {blog post, calculatedcontent.com}, year = {2015}}""",
    "pai": """@misc{pai,
  author = {Pai}, title = {Convolutional neural networks arise from Ising models and
  restricted Boltzmann machines}, howpublished = {online article}}""",
}


def cite(key: str | None = None) -> str:
    """Return BibTeX for one paper (by key) or for every paper deeprg implements."""
    if key is None:
        return "\n\n".join(_BIB.values())
    if key not in _BIB:
        from deeprg.errors import InputError

        raise InputError(f"unknown citation key {key!r}; expected one of {sorted(_BIB)}")
    return _BIB[key]
