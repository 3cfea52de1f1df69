# dorsal firmware entry point (runs after boot.py, which stays empty so USB
# comes up at once). Decides between the app and safe mode, then runs.
import dorsal_main

dorsal_main.main()
