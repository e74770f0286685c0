from kerasmodels.cli import main

raise SystemExit(main())
